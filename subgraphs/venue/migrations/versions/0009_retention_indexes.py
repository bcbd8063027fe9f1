"""kernel tables: indexes for the retention pruner

Revision ID: d35f9547f655
Revises: 3f8a6c1d9e27
Create Date: 2026-12-06 19:40:00.000000

processed_events.processed_at and idempotency_keys.created_at, so the pruner
(subgraphs/kernel/retention.py) finds old rows without scanning the tables; built
CONCURRENTLY on PostgreSQL (kernel_migration.create_retention_indexes_v2).
"""
from subgraphs.kernel.kernel_migration import (
    create_retention_indexes_v2,
    drop_retention_indexes_v2,
)

revision = 'd35f9547f655'
down_revision = '3f8a6c1d9e27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_retention_indexes_v2()


def downgrade() -> None:
    drop_retention_indexes_v2()
