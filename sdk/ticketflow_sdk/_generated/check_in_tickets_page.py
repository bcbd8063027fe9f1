from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import ExpectedTicket, PageInfo


class CheckInTicketsPage(BaseModel):
    show: Optional["CheckInTicketsPageShow"]


class CheckInTicketsPageShow(BaseModel):
    id: str
    check_in_list: Optional["CheckInTicketsPageShowCheckInList"] = Field(
        alias="checkInList"
    )


class CheckInTicketsPageShowCheckInList(BaseModel):
    tickets_page: "CheckInTicketsPageShowCheckInListTicketsPage" = Field(
        alias="ticketsPage"
    )


class CheckInTicketsPageShowCheckInListTicketsPage(BaseModel):
    nodes: tuple["CheckInTicketsPageShowCheckInListTicketsPageNodes", ...]
    page_info: "CheckInTicketsPageShowCheckInListTicketsPagePageInfo" = Field(
        alias="pageInfo"
    )


CheckInTicketsPageShowCheckInListTicketsPageNodes = ExpectedTicket
CheckInTicketsPageShowCheckInListTicketsPagePageInfo = PageInfo
CheckInTicketsPage.model_rebuild()
CheckInTicketsPageShow.model_rebuild()
CheckInTicketsPageShowCheckInList.model_rebuild()
CheckInTicketsPageShowCheckInListTicketsPage.model_rebuild()
