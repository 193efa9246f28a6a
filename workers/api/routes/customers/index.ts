import {
  type AttributeRow,
  type CustomerRow,
  createCustomer,
  deleteCustomer,
  listAttributes,
  listCustomers,
  requireCustomer,
  resolveAttributes,
  setAttribute,
  updateCustomer,
} from '@flowspark/booklet/customers';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { createGroup, type GroupApp } from '../../lib/group';
import { noContent, ok, paginated } from '../../lib/respond';
import {
  EmailSchema,
  errorResponses,
  idParam,
  jsonBody,
  jsonResponse,
  PageQuerySchema,
  paginatedResponse,
  TimestampSchema,
} from '../../lib/schemas';

const CUSTOMER_ID_EXAMPLE = 'cst_2c3d4e5f60718293a4b5c6d7e8f90a1b';
const customerIdParams = z.object({ id: idParam('id', CUSTOMER_ID_EXAMPLE) });
const TAGS = ['Booklets'];

const Fields = {
  name: z.string().trim().min(1).max(200),
  email: EmailSchema.nullable().optional(),
  external_id: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .nullable()
    .optional()
    .openapi({ description: 'Your own id; unique in the organization' }),
};
const CreateCustomerSchema = z.strictObject(Fields).openapi('CreateCustomerRequest');
const UpdateCustomerSchema = z
  .strictObject({ ...Fields, name: Fields.name.optional() })
  .openapi('UpdateCustomerRequest');

const CustomerSchema = z
  .object({
    id: z.string().openapi({ example: CUSTOMER_ID_EXAMPLE }),
    name: z.string(),
    email: z.string().nullable(),
    external_id: z.string().nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Customer');

const AttributeInputSchema = z
  .strictObject({
    key: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'Letters, digits, `_`, `.` and `-`, at most 100')
      .openapi({ example: 'revenue' }),
    value: z
      .union([z.string().max(10_000), z.number(), z.boolean()])
      .transform(String)
      .openapi({ example: '120000' }),
    year: z.number().int().min(1900).max(2200).optional(),
    quarter: z.number().int().min(1).max(4).optional().openapi({ description: 'Needs a year' }),
  })
  .refine((v) => v.quarter === undefined || v.year !== undefined, {
    message: 'A quarter needs a year',
    path: ['quarter'],
  })
  .openapi('SetCustomerAttributeRequest');

const AttributeSchema = z
  .object({
    key: z.string(),
    value: z.string(),
    year: z.number().int().nullable(),
    quarter: z.number().int().nullable(),
    updated_at: TimestampSchema,
  })
  .openapi('CustomerAttribute');

const AttributesSchema = z
  .object({
    attributes: z.array(AttributeSchema).openapi({ description: 'Every value, by key, latest period first' }),
    resolved: z
      .record(z.string(), z.string())
      .openapi({ description: 'Each key’s value for booklets: the latest period’s' }),
  })
  .openapi('CustomerAttributes');

const presentCustomer = (row: CustomerRow) => ({
  id: row.id,
  name: row.name,
  email: row.email,
  external_id: row.externalId,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});
const presentAttribute = (row: AttributeRow) => ({
  key: row.key,
  value: row.value,
  year: row.year,
  quarter: row.quarter,
  updated_at: row.updatedAt,
});

const route = <T extends Parameters<typeof defineRoute>[1]>(write: boolean, spec: T) =>
  defineRoute({ scope: write ? 'documents:write' : 'documents:read' }, spec);

const listRoute = route(false, {
  method: 'get',
  path: '/customers',
  operationId: 'listCustomers',
  tags: TAGS,
  summary: "The organization's customers, newest first",
  request: { query: PageQuerySchema },
  responses: { 200: paginatedResponse(CustomerSchema, 'A page of customers') },
});
const createRoute = route(true, {
  method: 'post',
  path: '/customers',
  operationId: 'createCustomer',
  tags: TAGS,
  summary: 'Add a customer (who booklets are made for)',
  request: { body: jsonBody(CreateCustomerSchema) },
  responses: { 201: jsonResponse(CustomerSchema, 'The customer'), ...errorResponses([409]) },
});
const getRoute = route(false, {
  method: 'get',
  path: '/customers/{id}',
  operationId: 'getCustomer',
  tags: TAGS,
  summary: 'Get a customer',
  request: { params: customerIdParams },
  responses: { 200: jsonResponse(CustomerSchema, 'The customer'), ...errorResponses([404]) },
});
const updateRoute = route(true, {
  method: 'put',
  path: '/customers/{id}',
  operationId: 'updateCustomer',
  tags: TAGS,
  summary: 'Change a customer',
  request: { params: customerIdParams, body: jsonBody(UpdateCustomerSchema) },
  responses: { 200: jsonResponse(CustomerSchema, 'The customer'), ...errorResponses([404, 409]) },
});
const deleteRoute = route(true, {
  method: 'delete',
  path: '/customers/{id}',
  operationId: 'deleteCustomer',
  tags: TAGS,
  summary: 'Delete a customer and their attributes',
  request: { params: customerIdParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
});
const setAttributeRoute = route(true, {
  method: 'post',
  path: '/customers/{id}/attributes',
  operationId: 'setCustomerAttribute',
  tags: TAGS,
  summary: 'Set an attribute of a customer, optionally for a period',
  description:
    '`{ key, value, year?, quarter? }`. One value per key and period: the same key and period again replaces it. ' +
    'Booklets take the latest period of each key (a value without a period is the oldest), unless a page asks ' +
    'for a specific one.',
  request: { params: customerIdParams, body: jsonBody(AttributeInputSchema) },
  responses: { 200: jsonResponse(AttributeSchema, 'The attribute'), ...errorResponses([404]) },
});
const listAttributesRoute = route(false, {
  method: 'get',
  path: '/customers/{id}/attributes',
  operationId: 'listCustomerAttributes',
  tags: TAGS,
  summary: "A customer's attributes, and the value booklets take for each key",
  request: { params: customerIdParams },
  responses: { 200: jsonResponse(AttributesSchema, 'The attributes'), ...errorResponses([404]) },
});

const register = (app: GroupApp) => {
  app.openapi(listRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listCustomers(db, actor.orgId, page);
    return paginated(c, items.map(presentCustomer), page, total);
  });
  app.openapi(createRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, presentCustomer(await createCustomer(db, actor.orgId, c.req.valid('json'))), 201);
  });
  app.openapi(getRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, presentCustomer(await requireCustomer(db, actor.orgId, c.req.valid('param').id)), 200);
  });
  app.openapi(updateRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(
      c,
      presentCustomer(await updateCustomer(db, actor.orgId, c.req.valid('param').id, c.req.valid('json'))),
      200,
    );
  });
  app.openapi(deleteRoute, async (c) => {
    const { db, actor } = routeContext(c);
    await deleteCustomer(db, actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });
  app.openapi(setAttributeRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(
      c,
      presentAttribute(await setAttribute(db, actor.orgId, c.req.valid('param').id, c.req.valid('json'))),
      200,
    );
  });
  app.openapi(listAttributesRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const rows = await listAttributes(db, actor.orgId, c.req.valid('param').id);
    return ok(c, { attributes: rows.map(presentAttribute), resolved: resolveAttributes(rows) }, 200);
  });
};

/** Booklet customers: `/customers…`. */
const app = createGroup();
register(app);

export default app;
