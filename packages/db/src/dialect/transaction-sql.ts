import { CompiledQuery, type DatabaseConnection, type TransactionSettings } from 'kysely';

/** `begin [isolation level ...] [read only|read write]`, validated by Kysely's own type of settings. */
export function transactionBeginSql(settings: TransactionSettings): string {
  const parts = ['begin'];
  if (settings.isolationLevel !== undefined) parts.push(`isolation level ${settings.isolationLevel}`);
  if (settings.accessMode !== undefined) parts.push(settings.accessMode);
  return parts.join(' ');
}

/** Runs `savepoint name` and friends; the name is quoted as an identifier, so it cannot inject SQL. */
export async function runTransactionControl(
  connection: DatabaseConnection,
  command: 'savepoint' | 'rollback to savepoint' | 'release savepoint',
  name: string,
): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw(`${command} "${name.replaceAll('"', '""')}"`));
}
