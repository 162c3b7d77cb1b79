"""Tests of the shared journal on PostgreSQL, against a real server the suite starts itself."""
