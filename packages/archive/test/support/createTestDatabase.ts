// The archive's test files each create a database of their own with @streamstore/testing's helper.
export {
  createPostgresTestDatabase as createTestDatabase,
  type PostgresTestDatabase as TestDatabase,
} from "@streamstore/testing";
