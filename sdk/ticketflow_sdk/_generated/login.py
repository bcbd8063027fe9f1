from .base_model import BaseModel
from .fragments import AuthPayload


class Login(BaseModel):
    login: "LoginLogin"


LoginLogin = AuthPayload
Login.model_rebuild()
