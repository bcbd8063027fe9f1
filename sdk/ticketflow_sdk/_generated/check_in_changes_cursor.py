from typing import Optional

from pydantic import Field

from .base_model import BaseModel


class CheckInChangesCursor(BaseModel):
    show: Optional["CheckInChangesCursorShow"]


class CheckInChangesCursorShow(BaseModel):
    id: str
    check_in_list: Optional["CheckInChangesCursorShowCheckInList"] = Field(
        alias="checkInList"
    )


class CheckInChangesCursorShowCheckInList(BaseModel):
    changes_cursor: str = Field(alias="changesCursor")


CheckInChangesCursor.model_rebuild()
CheckInChangesCursorShow.model_rebuild()
