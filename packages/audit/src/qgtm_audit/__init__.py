"""The tamper-evident audit log of QGTM (step 10).

from qgtm_audit import SqliteHashChainLog
log = SqliteHashChainLog("var/audit.sqlite")
result = log.verify()
result.ok, result.first_bad_seq
"""

from qgtm_audit._chain import GENESIS_HASH, SqliteHashChainLog, VerifyResult, record_hash

__all__ = ["GENESIS_HASH", "SqliteHashChainLog", "VerifyResult", "record_hash"]
