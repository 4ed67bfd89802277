"""What every unattended job shares: the state database and the run lock."""
