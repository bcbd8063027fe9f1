from pydantic import Field

from .base_model import BaseModel
from .fragments import Hall


class CreateHall(BaseModel):
    create_hall: "CreateHallCreateHall" = Field(alias="createHall")


CreateHallCreateHall = Hall
CreateHall.model_rebuild()
