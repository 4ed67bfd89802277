"""Per-recording delivery: every new recording in the customer's storage minutes after the call."""
