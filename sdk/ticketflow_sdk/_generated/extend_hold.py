from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import (  # noqa: F401
    SeatHold,
    SeatHoldDiscount,
    SeatHoldGeneralAdmission,
    SeatHoldLines,
    SeatHoldSeats,
    SeatHoldSegment,
    SeatHoldShow,
    SeatHoldTotal,
)


class ExtendHold(BaseModel):
    extend_hold: Union[
        "ExtendHoldExtendHoldSeatHold", "ExtendHoldExtendHoldHoldExpired"
    ] = Field(alias="extendHold", discriminator="typename__")


class ExtendHoldExtendHoldSeatHold(SeatHold):
    typename__: Literal["SeatHold"] = Field(alias="__typename")


class ExtendHoldExtendHoldHoldExpired(BaseModel):
    typename__: Literal["HoldExpired"] = Field(alias="__typename")
    code: str
    message: str
    hold_id: str = Field(alias="holdId")


ExtendHold.model_rebuild()
