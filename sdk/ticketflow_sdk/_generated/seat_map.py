from typing import Any, Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import SeatStatus


class SeatMap(BaseModel):
    show: Optional["SeatMapShow"]


class SeatMapShow(BaseModel):
    id: str
    seat_map: Any = Field(alias="seatMap")
    seat_states: tuple["SeatMapShowSeatStates", ...] = Field(alias="seatStates")


class SeatMapShowSeatStates(BaseModel):
    seat_id: str = Field(alias="seatId")
    state: SeatStatus
    legs: tuple[SeatStatus, ...]


SeatMap.model_rebuild()
SeatMapShow.model_rebuild()
