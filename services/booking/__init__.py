"""The booking service: requests, conflict-free approval, the loan lifecycle."""
