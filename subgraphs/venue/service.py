"""Venue's use cases, by module — the schema's resolvers call these and nothing else:

* :mod:`.halls` — venues (``createVenue``, ``setVenueTimeZone``) and halls with seat maps;
* :mod:`.shows` — a show's life (create, publish with ``ShowPublished``, edit, cancel);
* :mod:`.series` — recurring schedules (``createShowSeries``) and their shows;
* :mod:`.staff` — door staff of a venue (``grantVenueStaff``, ``revokeVenueStaff``);
* :mod:`.reads` — shows on sale page by page, the loaders' batch reads, a hall's seat map.

Underneath: :mod:`.seatmap` (the seat-map document format) and :mod:`.models`.
"""

from subgraphs.venue import seatmap
from subgraphs.venue.halls import (
    RowInput,
    compact_map,
    create_hall,
    create_venue,
    set_venue_time_zone,
    validate_rows,
    validate_venue_name,
)
from subgraphs.venue.reads import (
    ShowFilter,
    decode_cursor,
    encode_cursor,
    halls_by_ids,
    halls_by_venue,
    list_shows,
    list_venues,
    page_size,
    seat_map,
    seats_by_venue,
    sections_by_hall,
    shows_by_ids,
    stops_by_show,
    ticket_types_by_show,
    tiers_by_show,
    venue_show_statuses,
    venues_by_ids,
    venues_by_owner,
)
from subgraphs.venue.series import (
    SeriesRule,
    cancel_show_series,
    count_series_shows,
    create_show_series,
    publish_show_series,
    rename_show_series,
    rule_of,
    series_by_ids,
    series_by_venue,
    series_having_shows,
)
from subgraphs.venue.shows import (
    SHOW_KINDS,
    ShowChange,
    ShowSpec,
    cancel_show,
    create_show,
    hall_categories,
    publish_show,
    update_show,
    validate_show,
)
from subgraphs.venue.staff import grant_venue_staff, revoke_venue_staff, staff_by_venue

__all__ = [
    "SHOW_KINDS",
    "RowInput",
    "SeriesRule",
    "ShowChange",
    "ShowFilter",
    "ShowSpec",
    "cancel_show",
    "cancel_show_series",
    "compact_map",
    "count_series_shows",
    "create_hall",
    "create_show",
    "create_show_series",
    "create_venue",
    "decode_cursor",
    "encode_cursor",
    "grant_venue_staff",
    "hall_categories",
    "halls_by_ids",
    "halls_by_venue",
    "list_shows",
    "list_venues",
    "page_size",
    "publish_show",
    "publish_show_series",
    "rename_show_series",
    "revoke_venue_staff",
    "rule_of",
    "seat_map",
    "seatmap",
    "seats_by_venue",
    "sections_by_hall",
    "series_by_ids",
    "series_by_venue",
    "series_having_shows",
    "set_venue_time_zone",
    "shows_by_ids",
    "staff_by_venue",
    "stops_by_show",
    "ticket_types_by_show",
    "tiers_by_show",
    "update_show",
    "validate_rows",
    "validate_show",
    "validate_venue_name",
    "venue_show_statuses",
    "venues_by_ids",
    "venues_by_owner",
]
