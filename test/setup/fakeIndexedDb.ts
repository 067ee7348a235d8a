// Every test runs with an in-memory IndexedDB: no environment has one otherwise.
import 'fake-indexeddb/auto';
