"""MassGen claude plugin."""
