"""accounts.livemode and generations.livemode: test keys (placeholder backend, never charged)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every key and generation made before this migration is a live one
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("livemode", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("livemode", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_column("livemode")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("livemode")
