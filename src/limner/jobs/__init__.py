"""Asynchronous generations: the job states, the durable queue in the database, its workers,
recovery after a crash, and live progress."""
