from .base_model import BaseModel
from .fragments import AuthPayload


class Refresh(BaseModel):
    refresh: "RefreshRefresh"


RefreshRefresh = AuthPayload
Refresh.model_rebuild()
