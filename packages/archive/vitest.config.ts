import { streamstoreProject } from "../../vitest.shared.js";

export default streamstoreProject("archive");
