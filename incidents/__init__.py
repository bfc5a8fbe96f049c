"""Incident and dispatch cores: the state machine of one grid's incidents and its orders.

Owns deciding (open, repeat, dispatch, to which tier and whom). Must not page, touch Kafka or
write SQL: agents wrap these functions and the recorder projects their output.
"""
