"""Asynchronous generations: the durable queue in the database, its workers and the facade the
API uses (submit, cancel, list). The states, the lifecycle and live progress belong to the
engine below (`limner.generation`); recovery after a crash is `limner.recovery`."""
