from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import PageInfo, TicketChange


class CheckInChanges(BaseModel):
    show: Optional["CheckInChangesShow"]


class CheckInChangesShow(BaseModel):
    id: str
    check_in_list: Optional["CheckInChangesShowCheckInList"] = Field(
        alias="checkInList"
    )


class CheckInChangesShowCheckInList(BaseModel):
    ticket_changes: "CheckInChangesShowCheckInListTicketChanges" = Field(
        alias="ticketChanges"
    )


class CheckInChangesShowCheckInListTicketChanges(BaseModel):
    nodes: tuple["CheckInChangesShowCheckInListTicketChangesNodes", ...]
    page_info: "CheckInChangesShowCheckInListTicketChangesPageInfo" = Field(
        alias="pageInfo"
    )


CheckInChangesShowCheckInListTicketChangesNodes = TicketChange
CheckInChangesShowCheckInListTicketChangesPageInfo = PageInfo
CheckInChanges.model_rebuild()
CheckInChangesShow.model_rebuild()
CheckInChangesShowCheckInList.model_rebuild()
CheckInChangesShowCheckInListTicketChanges.model_rebuild()
