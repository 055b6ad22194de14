// core/ must not import Electron: tsconfig maps 'electron' here, so any import of its members fails the typecheck.
export type CoreMustNotImportElectron = never;
