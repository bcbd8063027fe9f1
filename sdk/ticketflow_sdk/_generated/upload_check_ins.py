from pydantic import Field

from .base_model import BaseModel
from .fragments import CheckInUpload


class UploadCheckIns(BaseModel):
    upload_check_ins: "UploadCheckInsUploadCheckIns" = Field(alias="uploadCheckIns")


UploadCheckInsUploadCheckIns = CheckInUpload
UploadCheckIns.model_rebuild()
