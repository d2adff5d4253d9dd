"""dbapi-conformance harness: the pytest plugin that certifies PEP 249 drivers.

Public names for conftest authors (``pytest_dbapi_profile`` hook, harness/hooks.py):
DriverProfile, SqlProfile, Procedure, Capabilities, Endpoint, ServerUnavailable.
"""

from dbapi_conformance.harness.capabilities import KNOWN_CAPABILITIES, Capabilities
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable
from dbapi_conformance.harness.profiles import DriverProfile
from dbapi_conformance.harness.sqlprofile import Procedure, SqlProfile

__all__ = [
    "KNOWN_CAPABILITIES",
    "Capabilities",
    "DriverProfile",
    "Endpoint",
    "Procedure",
    "ServerUnavailable",
    "SqlProfile",
]
