"""What a run leaves behind: its log folder, the multi-turn sessions, and the masking of secrets
in everything massgen prints or writes."""
