"""The tour's policy: `policy.example.yml`, written by `wazo-rec sandbox` next to its config.

It names the default sandbox's users, groups and queues, so that the README tour runs as
shown; a test keeps it identical to the shipped `policy.example.yml`.
"""

TOUR_POLICY = """\
# wazo-rec recording policy: who records what on the stack.
# `wazo-rec validate` checks it, `wazo-rec plan` shows the drift, `wazo-rec apply` converges.
# Only what is written here is managed; naming something that does not exist is an error.
# Reference: docs/policy.md. JSON Schema for editors: `wazo-rec schema`.
version: 1

features:                       # global: needs a master-tenant token
  callrecord: {enabled: false}  # *26: users toggle their own four call_record_* flags
  togglerecord: {exten: "*3"}   # the on-demand recording key in the applicationmap

tenants:
  - tenant: acme                # tenant uuid, slug or name
    users:
      defaults:                 # every user of the tenant; omit to leave unlisted users alone
        call_record_incoming_external_enabled: true
        online_call_record_enabled: false
      rules:                    # applied in order, later rules win field by field
        - match: {groups: [Sales]}                      # members of these groups (label)
          set: {call_record_outgoing_external_enabled: true}
        - match: {users: ["amir.roy", "hugo.*"]}      # username, e-mail, uuid; globs
          set: {online_call_record_enabled: true}
    groups:
      defaults: {dtmf_record_toggle: false}
      items: {Sales: {dtmf_record_toggle: true}}       # by label
    queues:
      defaults: {dtmf_record_toggle: false}
      items: {support: {dtmf_record_toggle: true}}     # by name or label
    retention: {cdr_days: 365, recording_days: 90, export_days: 2}   # call-logd, per tenant

safety:
  max_change_percent: 30        # apply refuses past this share of the objects (over 10 changes)
"""
