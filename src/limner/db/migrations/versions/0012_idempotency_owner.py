"""idempotency_keys.owner (the process running an in_progress request, for crash recovery) and
idempotency_keys.generation_id (the generation its answer made, for deletion)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # null for keys written before: recovery frees those once they are older than a generation
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_idempotency_keys_owner"), ["owner"])
        batch_op.add_column(sa.Column("generation_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_idempotency_keys_generation_id"), ["generation_id"])


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_generation_id"))
        batch_op.drop_column("generation_id")
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_owner"))
        batch_op.drop_column("owner")
