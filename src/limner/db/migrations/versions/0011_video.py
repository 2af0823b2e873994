"""generations.media: what a video output is (duration_s, fps, frames, width, height)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # null for images and for every generation made before videos existed
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_column("media")
