"""Evaluation of opened bids. For now: the technical evaluation result of a two-file tender,
which decides whose price envelope is opened (issue 6 grows this into the full workspace)."""
