from .base_model import BaseModel
from .fragments import AuthPayload


class Register(BaseModel):
    account: "RegisterAccount"


RegisterAccount = AuthPayload
Register.model_rebuild()
