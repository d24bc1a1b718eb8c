-- Forget the history from $as_of on, so snapshots from that date can be replayed in order:
-- versions that started then or later go, versions that ended then or later reopen.
delete from core.espaces where valid_from >= $as_of;

update core.espaces set valid_to = null where valid_to >= $as_of;
