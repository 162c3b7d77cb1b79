"""The kinds of journal entry, and what each body holds. Projections and reports read these; keep them stable.

Bodies are JSON objects. `text`, `title` or `summary` is the human line a timeline shows.
"""

# Free text from a responder (the console, `warroom note`, a script).
NOTE = "note"                      # {text}
DECISION = "decision"              # {text, reason?}
STATUS = "status"                  # {text}: a status line typed by hand

# Incident lifecycle (incident column set).
INCIDENT_DECLARED = "incident.declared"    # {title, category, services[], source{type, id}?, severity?, playbook?}
INCIDENT_UPDATED = "incident.updated"      # {changes{field: value}}
INCIDENT_SEVERITY = "incident.severity"    # {severity: "SEV1".."SEV4", factors{}, reasoning, override_reason?}
INCIDENT_ROLE = "incident.role"            # {role, person, previous?, handoff?: the hand-off page given}
INCIDENT_LINKED = "incident.linked"        # {type: alert|service_issue|support_case, id, title?}
INCIDENT_STATUS = "incident.status"        # {status, previous?, text? (why), proposed{why, evidence[]}?,
                                           #  at_closing?}: status is one of console/lifecycle.STATUSES
INCIDENT_CLOSED = "incident.closed"        # {summary, open_tasks[]?}

# Following Microsoft: a linked service issue's status as it changes, and its post-incident report.
MICROSOFT_ISSUE = "microsoft.issue"        # {issue, claim, status, previous?, title, service, restored, last_post?}
MICROSOFT_REPORT = "microsoft.report"      # {issue, claim, sha256, size, text? | content_base64?, withheld?}

# Tasks from playbooks and by hand.
TASK_ADDED = "task.added"          # {task_id, text, role?, owner?, playbook?, step?, check?, action?, after[]?,
                                   #  milestone?, done_by{kind, ...}?}
TASK_UPDATED = "task.updated"      # {task_id, status?: open|doing|blocked|done, owner?, blockers?}
TASK_TICKED = "task.ticked"        # {task_id, by{entry, kind, what} | by{check, what}}: done by what happened
                                   #  (an action, a sent update, a met live check); one per task, claimed once

# Containment and recovery actions against Graph.
ACTION = "action"                  # {action, target, request{method, url, body}, dry_run, before, after,
                                   #  result: requested|ok|failed|dry-run|refused, status?, request_id?,
                                   #  error?, reversal?}: "requested" is journaled just before a write is
                                   #  sent; the outcome (ok|failed) follows as a second entry,
                                   #  with requested_seq
EVIDENCE = "evidence"              # {what, target, sha256, content}
RECOVERY = "recovery"              # {service, option, text, result: verified|not met|unknown, by: hand|check,
                                   #  task_id?, check{type, detail, since?, request_ids[]}?}: a recovery option
                                   #  verified by a responder (their words) or a live check run from the Recovery
                                   #  screen; "verified" does the option's task
HUNT = "hunt"                      # {query, saved?, params?, rows, sha256, request_id?} or {query, error}: one
                                   #  advanced-hunting run (who and when are the entry's actor and time)
EVIDENCE_EXPORTED = "evidence.exported"  # {file, bundle_sha256, manifest_sha256, entries, head_seq, head}

# Entries brought in from another journal's export: written first, in the same transaction as the entries it
# brought (each of those carries `origin`), so the journal says what came from outside, when, and by whom.
JOURNAL_IMPORTED = "journal.imported"  # {text, file, sha256, bytes, records, added, already_here,
                                       #  source_journals[]: ids the file claims (unproven)}

# Communications.
COMMS_DRAFTED = "comms.drafted"    # {audience, update_kind, subject?, text, channel}: copied or saved by hand
COMMS_REQUESTED = "comms.requested"  # {audience, update_kind, number, subject, text, recipients[], channels[],
                                     #  sent_at, next_update_due, message_id, headline, status, impact}:
                                     #  journaled before anything is delivered
COMMS_SENT = "comms.sent"          # the same fields, plus requested_seq, delivered[], failed[] and
                                   #  results{channel: {kind, ok, attempts, detail, message_id?, smtp_reply?,
                                   #  refused?, status?, request_id?, path?}}: one per message, also when a
                                   #  channel failed. An entry whose every channel failed reached nobody: it does
                                   #  not count as an update (incidents.reached_someone). Older entries have
                                   #  {audience, update_kind, text, channel?} only and count as sent.

# What Graph said, deduplicated: only changes are journaled.
OBSERVATION = "observation"        # {source, key, digest, data} or {source, key, digest, base, patch}: observations.py
SOURCE_STATUS = "source.status"    # {source, state, reason?}: a source went stale or recovered

# Post-incident and drills.
REVIEW = "review"                  # {item, text}: an answer on the post-incident checklist
FOLLOW_UP = "follow_up"            # {text, owner, due}
DRILL_STARTED = "drill.started"    # {scenario}
DRILL_FINISHED = "drill.finished"  # {scenario, metrics{}, done{}?: what the scenario's [drill] table needed done}

# What `warroom note --kind` accepts: things a person writes by hand.
HAND_WRITTEN = (NOTE, DECISION, STATUS)
