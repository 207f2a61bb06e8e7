// Names in the jail table that the store and the table's definition share (see DynamoDbStore for the design).

/** The TTL attribute of the jail table (epoch seconds): garbage collection only, see DynamoDbStore. */
export const DYNAMODB_TTL_ATTRIBUTE = "exp";
/** The sparse index of active bans (partition `banPk`, sort `banUntil`). */
export const DYNAMODB_ACTIVE_BANS_INDEX = "active-bans";
