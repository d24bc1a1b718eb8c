-- Forget the history from $as_of on, so the files from that date can be replayed in order:
-- versions that started then or later go, versions that ended then or later reopen.
delete from core.lieux_mediation where valid_from >= $as_of;

update core.lieux_mediation set valid_to = null where valid_to >= $as_of;
