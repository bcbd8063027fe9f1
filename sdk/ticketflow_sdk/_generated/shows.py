from .base_model import BaseModel
from .fragments import ShowPage


class Shows(BaseModel):
    shows: "ShowsShows"


ShowsShows = ShowPage
Shows.model_rebuild()
