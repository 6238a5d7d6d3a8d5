// Request and response schemas of the notification API (validation, OpenAPI and types from one source).
import { Limit, Uuid } from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';

export const Notice = Type.Object({
  id: Uuid,
  type: Type.String({ description: 'the event type, e.g. order.confirmed' }),
  title: Type.String(),
  body: Type.String(),
  data: Type.Object({}, { additionalProperties: true, description: 'ids and links the UI can use (orderId, url...)' }),
  read: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const NoticeListQuery = Type.Object({
  limit: Limit,
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
  unread: Type.Optional(Type.Boolean({ description: 'only unread notices' })),
});

export const ReadBody = Type.Object({ read: Type.Boolean() });

export const UnreadCount = Type.Object({ count: Type.Integer({ minimum: 0 }) });

export const ReadAllResult = Type.Object({ updated: Type.Integer({ minimum: 0 }) });

export const Preferences = Type.Object({
  email: Type.Boolean(),
  sms: Type.Boolean(),
  inApp: Type.Boolean(),
  phone: Type.Union([Type.String(), Type.Null()], { description: 'E.164, e.g. +14155550123; SMS needs it' }),
  phoneVerified: Type.Boolean({
    description: 'proved with a one-time code (POST .../preferences/phone/code, then .../phone/verify); SMS need it',
  }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'null while the defaults apply',
  }),
});

export const PreferencesChange = Type.Object(
  {
    email: Type.Optional(Type.Boolean()),
    sms: Type.Optional(Type.Boolean()),
    inApp: Type.Optional(Type.Boolean()),
    phone: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Null()])),
  },
  { minProperties: 1, description: 'fields left out keep their value; password reset mails go whatever is set' },
);

export const Ticket = Type.Object({
  ticket: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  url: Type.String({ description: 'the stream URL with the ticket, relative to the API origin' }),
});

export const StreamQuery = Type.Object({
  ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  lastEventId: Type.Optional(Type.String({ maxLength: 32, description: 'as the Last-Event-ID header' })),
});

export const DeliveryChannel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);

export const Failure = Type.Object({
  id: Uuid,
  eventId: Uuid,
  eventType: Type.String(),
  userId: Type.Union([Uuid, Type.Null()]),
  channel: DeliveryChannel,
  recipient: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  failedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const FailureListQuery = Type.Object({
  limit: Limit,
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
  channel: Type.Optional(DeliveryChannel),
});

export const MailSummary = Type.Object({
  id: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  date: Type.String(),
  size: Type.Integer(),
});

export const MailIdParams = Type.Object({ id: Type.String({ pattern: '^[\\w.-]{1,200}\\.eml$' }) });

export const PhoneCodeSent = Type.Object({
  phone: Type.String({ description: 'where the code went' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

export const PhoneVerifyBody = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) });
