import { streamstoreProject } from "../../vitest.shared.js";

export default streamstoreProject("example-personal-data");
