"""kernel tables: indexes for the retention pruner

Revision ID: db0763b2513c
Revises: 5b8d2f6e4a17
Create Date: 2026-12-06 19:40:00.000000

processed_events.processed_at and idempotency_keys.created_at, so the pruner
(subgraphs/kernel/retention.py) finds old rows without scanning the tables; built
CONCURRENTLY on PostgreSQL (kernel_migration.create_retention_indexes_v2).
"""
from subgraphs.kernel.kernel_migration import (
    create_retention_indexes_v2,
    drop_retention_indexes_v2,
)

revision = 'db0763b2513c'
down_revision = '5b8d2f6e4a17'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_retention_indexes_v2()


def downgrade() -> None:
    drop_retention_indexes_v2()
