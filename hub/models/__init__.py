"""SQLAlchemy 2 models. Only hub/ imports these; connectors and plugins use the services."""

from hub.models.base import Base, utcnow
from hub.models.change_tasks import TASK_OUTCOMES, TASK_STATES, ChangeTask
from hub.models.changes import ApprovalLink, ApprovalPolicy, ChangeTemplate, FreezeWindow
from hub.models.content import Attachment, AttachmentBlob, StatusToken, TicketPluginData, TicketTimer
from hub.models.customer_risk import CustomerRiskFlag
from hub.models.customers import IDENTITY_KINDS, Customer, CustomerEvent, CustomerIdentity, CustomerOrganisation
from hub.models.fields import FIELD_TYPES, CustomField, TicketFieldValue
from hub.models.inbox import Notification
from hub.models.integration import ConnectorInstance, HubProcess, InboundEvent, PluginState
from hub.models.jobs import OutboxMessage, SyncRun
from hub.models.limits import RateCounter, SavedView
from hub.models.links import LINK_KINDS, TicketLink
from hub.models.org import CI_KINDS, CRITICALITIES, Category, ConfigurationItem, Department, Group, OrgChange
from hub.models.replies import CannedReply
from hub.models.tickets import (
    Approval,
    AuditEvent,
    Comment,
    CorrelationKey,
    ExternalLink,
    ReplayGuard,
    ThreadKey,
    Ticket,
    TicketCounter,
)
from hub.models.users import ROLES, ApiToken, User

__all__ = [
    "CI_KINDS",
    "CRITICALITIES",
    "FIELD_TYPES",
    "IDENTITY_KINDS",
    "LINK_KINDS",
    "ROLES",
    "TASK_OUTCOMES",
    "TASK_STATES",
    "ApiToken",
    "Approval",
    "ApprovalLink",
    "ApprovalPolicy",
    "Attachment",
    "AttachmentBlob",
    "AuditEvent",
    "Base",
    "CannedReply",
    "Category",
    "ChangeTask",
    "ChangeTemplate",
    "Comment",
    "ConfigurationItem",
    "ConnectorInstance",
    "CorrelationKey",
    "CustomField",
    "Customer",
    "CustomerEvent",
    "CustomerIdentity",
    "CustomerOrganisation",
    "CustomerRiskFlag",
    "Department",
    "ExternalLink",
    "FreezeWindow",
    "Group",
    "HubProcess",
    "InboundEvent",
    "Notification",
    "OrgChange",
    "OutboxMessage",
    "PluginState",
    "RateCounter",
    "ReplayGuard",
    "SavedView",
    "StatusToken",
    "SyncRun",
    "ThreadKey",
    "Ticket",
    "TicketCounter",
    "TicketFieldValue",
    "TicketLink",
    "TicketPluginData",
    "TicketTimer",
    "User",
    "utcnow",
]
