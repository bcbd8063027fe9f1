"""show changes: a show's version and counts settled at COMMIT, by PostgreSQL

Revision ID: 3c1f9a2e7b40
Revises: 820615db3dad
Create Date: 2026-12-04 17:10:00.000000

The ledger no longer locks the show's row with a statement of its own. It inserts a row
in ``show_changes``; a deferred constraint trigger runs at COMMIT, advances the show's
version, applies the counts and writes the version and every count back into the row.
The show's lock is then held for the commit alone, never across a round trip to the
application. SQLite (one writer at a time) keeps settling in the application.

The statuses and states below are those of ``subgraphs/booking/models.py`` when this
revision was written.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '3c1f9a2e7b40'
down_revision = '820615db3dad'
branch_labels = None
depends_on = None

SETTLE = """
CREATE FUNCTION booking_settle_show_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v integer;
  counted jsonb;
BEGIN
  -- The show's lock: the next change to this show waits here until this one commits.
  UPDATE shows SET version = version + 1 WHERE id = NEW.show_id RETURNING version INTO v;
  -- Each statement below reads with a snapshot taken after the lock was granted.
  UPDATE show_counts AS sc SET held = sc.held + d.held, sold = sc.sold + d.sold
  FROM (SELECT e->>0 AS category, (e->>1)::int AS leg, (e->>2)::int AS held,
               (e->>3)::int AS sold
        FROM json_array_elements(NEW.deltas) AS e) AS d
  WHERE sc.show_id = NEW.show_id AND sc.category = d.category AND sc.leg = d.leg;
  SELECT coalesce(jsonb_agg(jsonb_build_array(r.kind, r.id, r.leg, r.total, r.held, r.sold,
                                              r.lapsed, r.key, r.name, r.category,
                                              r.position)), '[]'::jsonb)
  INTO counted
  FROM (
    SELECT 'S' AS kind, sc.category AS id, sc.leg, sc.total, sc.held, sc.sold,
           coalesce(l.n, 0) AS lapsed, NULL::text AS key, NULL::text AS name,
           NULL::text AS category, 0 AS position
    FROM show_counts sc
    LEFT JOIN (
      SELECT s.category, s.leg, count(*) AS n
      FROM holds h JOIN show_seats s ON s.hold_id = h.id
      WHERE h.show_id = NEW.show_id AND h.status IN ('ACTIVE', 'CHECKED_OUT')
        AND h.expires_at <= NEW.at AND s.show_id = NEW.show_id AND s.state = 'HELD'
      GROUP BY s.category, s.leg
    ) l ON l.category = sc.category AND l.leg = sc.leg
    WHERE sc.show_id = NEW.show_id
    UNION ALL
    SELECT 'G', g.section_id, 0, g.capacity, g.held, g.sold, coalesce(lg.n, 0), g.key,
           g.name, g.category, g.position
    FROM ga_sections g
    LEFT JOIN (
      SELECT l.section_id, sum(l.quantity) AS n
      FROM holds h JOIN hold_ga_lines l ON l.hold_id = h.id
      WHERE h.show_id = NEW.show_id AND h.status IN ('ACTIVE', 'CHECKED_OUT')
        AND h.expires_at <= NEW.at AND NOT l.released
      GROUP BY l.section_id
    ) lg ON lg.section_id = g.section_id
    WHERE g.show_id = NEW.show_id
  ) AS r;
  UPDATE show_changes SET version = v, counts = counted::json WHERE id = NEW.id;
  RETURN NULL;
END
$$
"""
TRIGGER = """
CREATE CONSTRAINT TRIGGER show_changes_settle AFTER INSERT ON show_changes
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION booking_settle_show_change()
"""


def upgrade() -> None:
    op.create_table(
        'show_changes',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('show_id', sa.String(length=36), nullable=False),
        sa.Column('deltas', sa.JSON(), nullable=False),
        sa.Column('at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_show_changes')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE show_changes SET UNLOGGED")
        op.execute(SETTLE)
        op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER show_changes_settle ON show_changes")
        op.execute("DROP FUNCTION booking_settle_show_change()")
    op.drop_table('show_changes')
