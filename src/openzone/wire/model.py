"""The botocore service models are the contract: load them once from the installed botocore."""

from functools import lru_cache

import botocore.session
from botocore.model import OperationModel, ServiceModel


@lru_cache(maxsize=4)
def service_model(name: str) -> ServiceModel:
    """The installed botocore model of a service (`datazone`, `athena`)."""
    return botocore.session.get_session().get_service_model(name)


def operation(service: str, name: str) -> OperationModel:
    return service_model(service).operation_model(name)
