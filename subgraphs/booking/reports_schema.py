"""GraphQL types of ``Show.salesReport`` (the figures come from :mod:`.reports`)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from subgraphs.booking import reports
from subgraphs.kernel.graphql import Info, Money


@strawberry.enum(description="How salesOverTime groups sales: per hour or per day of the "
                 "venue's time zone.")
class SalesBucket(Enum):
    HOUR = "HOUR"
    DAY = "DAY"


@strawberry.type(description="A show's sales as a whole. Money in the show's currency.")
class SalesTotals:
    sold: int = strawberry.field(description="Seats and standing places of bookings "
                                 "confirmed now.")
    held: int = strawberry.field(description="Seats and standing places held now (lapsed "
                                 "holds not counted).")
    bookings: int = strawberry.field(description="Bookings confirmed now.")
    pending_bookings: int = strawberry.field(description="Bookings awaiting payment.")
    cancelled_bookings: int
    refunded_bookings: int = strawberry.field(description="Paid bookings with any refund, "
                                              "partial ones included.")
    gross: Money = strawberry.field(description="List price of every paid booking's seats "
                                    "and places, cancelled ones included.")
    discounts: Money
    refunded: Money = strawberry.field(description="Money given back (partial refunds by "
                                       "amount).")
    net: Money = strawberry.field(description="gross - discounts - refunded.")


@strawberry.type(description="Sales of one seat category (or standing section category).")
class CategorySales:
    category: str
    sold: int
    gross: Money
    discounts: Money
    refunded: Money = strawberry.field(description="Each booking's refunds shared over its "
                                       "categories in proportion to what was paid for each.")
    net: Money


@strawberry.type(description="Sales of one day in the venue's time zone: orders placed that "
                 "day, refunds made that day.")
class DaySales:
    date: date
    sold: int
    gross: Money
    discounts: Money
    refunded: Money
    net: Money


@strawberry.type(description="One hour or day (its start, in the venue's time zone) that had "
                 "sales or refunds, with running totals: the series a chart plots.")
class SalesPoint:
    at: datetime
    sold: int
    net: Money
    cumulative_sold: int
    cumulative_net: Money


@strawberry.type(description="What a show sold: for its organizer and admins. Sales count at "
                 "the order's time, refunds at the refund's; days are the venue's.")
class SalesReport:
    currency: str
    time_zone: str = strawberry.field(description="The venue's IANA zone days and hours "
                                      "are counted in.")
    totals: SalesTotals
    by_category: list[CategorySales] = strawberry.field(description="By category name.")
    by_day: list[DaySales] = strawberry.field(description="Days that had sales or refunds, "
                                              "oldest first.")
    report: strawberry.Private[reports.SalesReport]

    @strawberry.field(description="Sold and net per hour or day that had any, oldest first, "
                      "with running totals.")
    def sales_over_time(self, bucket: SalesBucket = SalesBucket.DAY) -> list[SalesPoint]:
        money = self._money
        return [SalesPoint(at=p.at, sold=p.sold, net=money(p.net),
                           cumulative_sold=p.cumulative_sold,
                           cumulative_net=money(p.cumulative_net))
                for p in self.report.over_time(reports.Bucket(bucket.value))]

    def _money(self, amount: int) -> Money:
        return Money(amount=amount, currency=self.currency)

    @classmethod
    def of(cls, r: reports.SalesReport) -> SalesReport:
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=r.currency)

        t = r.totals
        return cls(
            currency=r.currency, time_zone=r.time_zone, report=r,
            totals=SalesTotals(
                sold=t.sold, held=r.held, bookings=r.bookings,
                pending_bookings=r.pending_bookings, cancelled_bookings=r.cancelled_bookings,
                refunded_bookings=r.refunded_bookings, gross=money(t.gross),
                discounts=money(t.discounts), refunded=money(t.refunded), net=money(t.net)),
            by_category=[CategorySales(category=c.category, sold=c.sold, gross=money(c.gross),
                                       discounts=money(c.discounts),
                                       refunded=money(c.refunded), net=money(c.net))
                         for c in r.by_category],
            by_day=[DaySales(date=d.date, sold=d.sold, gross=money(d.gross),
                             discounts=money(d.discounts), refunded=money(d.refunded),
                             net=money(d.net)) for d in r.by_day])


async def sales_report(show_id: str, info: Info) -> SalesReport | None:
    """``Show.salesReport``: the show's organizer and admins (others FORBIDDEN, anonymous
    UNAUTHENTICATED); null for a show booking never had on sale."""
    svc = info.context.service
    async with svc.db.reader() as session:
        found = await reports.sales_report(session, info.context.caller, show_id,
                                           sqlite=svc.db.is_sqlite)
    return None if found is None else SalesReport.of(found)
