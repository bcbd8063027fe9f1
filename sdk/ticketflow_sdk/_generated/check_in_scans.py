from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import CheckInScan, PageInfo


class CheckInScans(BaseModel):
    show: Optional["CheckInScansShow"]


class CheckInScansShow(BaseModel):
    id: str
    check_in_list: Optional["CheckInScansShowCheckInList"] = Field(alias="checkInList")


class CheckInScansShowCheckInList(BaseModel):
    scans_after: "CheckInScansShowCheckInListScansAfter" = Field(alias="scansAfter")


class CheckInScansShowCheckInListScansAfter(BaseModel):
    nodes: tuple["CheckInScansShowCheckInListScansAfterNodes", ...]
    page_info: "CheckInScansShowCheckInListScansAfterPageInfo" = Field(alias="pageInfo")


CheckInScansShowCheckInListScansAfterNodes = CheckInScan
CheckInScansShowCheckInListScansAfterPageInfo = PageInfo
CheckInScans.model_rebuild()
CheckInScansShow.model_rebuild()
CheckInScansShowCheckInList.model_rebuild()
CheckInScansShowCheckInListScansAfter.model_rebuild()
