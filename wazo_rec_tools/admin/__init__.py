"""On-stack admin jobs: recordings, retention, live calls, refresh tokens. No click here."""
