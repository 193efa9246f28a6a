/**
 * Customers and their attributes (seed 003). An attribute may hold one value per period (year,
 * quarter); where a key has several, the latest period wins (a value with no period counts as the
 * oldest), unless a page asks for a specific one. Every query is scoped to the tenant.
 */
import { AppError, newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, isUniqueViolation, paginateNewestFirst, schema } from '@flowspark/db';
import { and, asc, eq } from 'drizzle-orm';

const { customers, customerAttributes } = schema;

export type CustomerRow = typeof customers.$inferSelect;
export type AttributeRow = typeof customerAttributes.$inferSelect;

const externalTaken = () =>
  new AppError('CONFLICT', 'Another customer of the organization has this external_id', {
    details: { field: 'external_id' },
  });

export interface CustomerInput {
  name: string;
  email?: string | null;
  external_id?: string | null;
}

export const createCustomer = async (db: Database, orgId: string, input: CustomerInput): Promise<CustomerRow> => {
  const now = new Date().toISOString();
  const row: CustomerRow = {
    id: newId('cst'),
    orgId,
    name: input.name,
    email: input.email ?? null,
    externalId: input.external_id ?? null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.insert(customers).values(row);
  } catch (err) {
    if (isUniqueViolation(err, 'customers.external_id')) throw externalTaken();
    throw err;
  }
  return row;
};

export const getCustomer = async (db: Database, orgId: string, id: string): Promise<CustomerRow | null> => {
  const [row] = await db
    .select()
    .from(customers)
    .where(and(eq(customers.orgId, orgId), eq(customers.id, id)))
    .limit(1);
  return row ?? null;
};

export const requireCustomer = async (db: Database, orgId: string, id: string) => {
  const row = await getCustomer(db, orgId, id);
  if (!row) throw notFound('Customer');
  return row;
};

export const listCustomers = (db: Database, orgId: string, page: PageRequest) =>
  paginateNewestFirst(db, customers, eq(customers.orgId, orgId), page);

export const updateCustomer = async (
  db: Database,
  orgId: string,
  id: string,
  patch: Partial<CustomerInput>,
): Promise<CustomerRow> => {
  const values: Partial<CustomerRow> = { updatedAt: new Date().toISOString() };
  if (patch.name !== undefined) values.name = patch.name;
  if (patch.email !== undefined) values.email = patch.email;
  if (patch.external_id !== undefined) values.externalId = patch.external_id;
  let rows: CustomerRow[];
  try {
    rows = await db
      .update(customers)
      .set(values)
      .where(and(eq(customers.orgId, orgId), eq(customers.id, id)))
      .returning();
  } catch (err) {
    if (isUniqueViolation(err, 'customers.external_id')) throw externalTaken();
    throw err;
  }
  if (!rows[0]) throw notFound('Customer');
  return rows[0];
};

export const deleteCustomer = async (db: Database, orgId: string, id: string): Promise<void> => {
  const rows = await db
    .delete(customers)
    .where(and(eq(customers.orgId, orgId), eq(customers.id, id)))
    .returning({ id: customers.id });
  if (rows.length === 0) throw notFound('Customer');
};

export interface AttributeInput {
  key: string;
  value: string;
  year?: number | null;
  quarter?: number | null;
}

/** Sets the value of a key for a period (or for no period), replacing what that period held. */
export const setAttribute = async (
  db: Database,
  orgId: string,
  customerId: string,
  input: AttributeInput,
): Promise<AttributeRow> => {
  await requireCustomer(db, orgId, customerId);
  const now = new Date().toISOString();
  const d1: D1Database = db.$client;
  const row = await d1
    .prepare(
      `INSERT INTO customer_attributes (id, org_id, customer_id, key, value, year, quarter, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
       ON CONFLICT (customer_id, key, coalesce(year, 0), coalesce(quarter, 0))
       DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
       RETURNING id, org_id AS orgId, customer_id AS customerId, key, value, year, quarter,
         created_at AS createdAt, updated_at AS updatedAt`,
    )
    .bind(newId('att'), orgId, customerId, input.key, input.value, input.year ?? null, input.quarter ?? null, now)
    .first<AttributeRow>();
  if (!row) throw new Error('The attribute was not written');
  return row;
};

/** Every attribute of the customer, by key, then latest period first. */
export const listAttributes = async (db: Database, orgId: string, customerId: string): Promise<AttributeRow[]> => {
  await requireCustomer(db, orgId, customerId);
  return attributesOf(db, orgId, customerId);
};

/** The attributes of a customer already known to be the tenant's (none for another's). */
export const attributesOf = async (db: Database, orgId: string, customerId: string): Promise<AttributeRow[]> => {
  const rows = await db
    .select()
    .from(customerAttributes)
    .where(and(eq(customerAttributes.orgId, orgId), eq(customerAttributes.customerId, customerId)))
    .orderBy(asc(customerAttributes.key));
  return rows.sort((a, b) => a.key.localeCompare(b.key) || periodOrder(b) - periodOrder(a));
};

/** A period's rank: later years, then later quarters, rank higher; no period ranks lowest. */
const periodOrder = (row: Pick<AttributeRow, 'year' | 'quarter'>) => (row.year ?? 0) * 10 + (row.quarter ?? 0);

/**
 * The value of each key: the latest period's, or the given period's when one is asked for (a key
 * without that period has no value then).
 */
export const resolveAttributes = (
  rows: Pick<AttributeRow, 'key' | 'value' | 'year' | 'quarter'>[],
  period?: { year: number; quarter?: number | null },
): Record<string, string> => {
  const out: Record<string, { value: string; rank: number }> = {};
  for (const row of rows) {
    if (period && (row.year !== period.year || (period.quarter != null && row.quarter !== period.quarter))) continue;
    const rank = periodOrder(row);
    const current = out[row.key];
    if (!current || rank > current.rank) out[row.key] = { value: row.value, rank };
  }
  return Object.fromEntries(Object.entries(out).map(([key, { value }]) => [key, value]));
};
