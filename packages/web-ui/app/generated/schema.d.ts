/**
 * Generated from the api-gateway's OpenAPI document by
 * `npm run gen:api -w @tapefleet/web-ui`. Do not edit: regenerate.
 */
export interface paths {
    "/api2/json/config/changer": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List changers */
        get: operations["listChanger"];
        put?: never;
        /** Create a changer */
        post: operations["createChanger"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/config/changer/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The changer's name. */
                name: string;
            };
            cookie?: never;
        };
        /** Read a changer */
        get: operations["getChanger"];
        /** Update a changer */
        put: operations["updateChanger"];
        post?: never;
        /** Remove a changer */
        delete: operations["removeChanger"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/config/drive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List drives */
        get: operations["listDrive"];
        put?: never;
        /** Create a drive */
        post: operations["createDrive"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/config/drive/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The drive's name. */
                name: string;
            };
            cookie?: never;
        };
        /** Read a drive */
        get: operations["getDrive"];
        /** Update a drive */
        put: operations["updateDrive"];
        post?: never;
        /** Remove a drive */
        delete: operations["removeDrive"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/config/media-pool": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List media pools */
        get: operations["listMediaPool"];
        put?: never;
        /** Create a media pool */
        post: operations["createMediaPool"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/config/media-pool/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The media pool's name. */
                name: string;
            };
            cookie?: never;
        };
        /** Read a media pool */
        get: operations["getMediaPool"];
        /** Update a media pool */
        put: operations["updateMediaPool"];
        post?: never;
        /** Remove a media pool */
        delete: operations["removeMediaPool"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/config/tape-backup-job": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List tape backup jobs */
        get: operations["listTapeBackupJob"];
        put?: never;
        /** Create a tape backup job */
        post: operations["createTapeBackupJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/config/tape-backup-job/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The tape backup job's id. */
                id: string;
            };
            cookie?: never;
        };
        /** Read a tape backup job */
        get: operations["getTapeBackupJob"];
        /** Update a tape backup job */
        put: operations["updateTapeBackupJob"];
        post?: never;
        /** Remove a tape backup job */
        delete: operations["removeTapeBackupJob"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/access/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API tokens */
        get: operations["listTokens"];
        put?: never;
        /** Create an API token */
        post: operations["createToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api2/json/access/token/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Token id. */
                id: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove an API token */
        delete: operations["removeToken"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description A medium changer (tape library robot). */
        ChangerConfig: {
            /** @description Changer name. */
            name: string;
            /** @description Device path on the host of its device agent (`/dev/tape/by-id/…` or `/dev/sgN`). */
            path: string;
            /** @description Import/export slots (element numbers ≥ 1): '1,2' or [1, 2]. */
            "export-slots"?: number[];
            /** @description Eject the drive (LOAD/UNLOAD, LOAD=0) before moving its medium out (default false). */
            "eject-before-unload"?: boolean;
        };
        /** @description A medium changer (tape library robot). */
        ChangerCreate: {
            /** @description Changer name. */
            name: string;
            /** @description Device path on the host of its device agent (`/dev/tape/by-id/…` or `/dev/sgN`). */
            path: string;
            /** @description Import/export slots (element numbers ≥ 1): '1,2' or [1, 2]. */
            "export-slots"?: string | number[];
            /** @description Eject the drive (LOAD/UNLOAD, LOAD=0) before moving its medium out (default false). */
            "eject-before-unload"?: boolean;
        };
        /** @description Changes to a changer: fields to set, `delete` lists fields to reset. */
        ChangerUpdate: {
            /** @description Device path on the host of its device agent (`/dev/tape/by-id/…` or `/dev/sgN`). */
            path?: string;
            /** @description Import/export slots (element numbers ≥ 1): '1,2' or [1, 2]. */
            "export-slots"?: string | number[];
            /** @description Eject the drive (LOAD/UNLOAD, LOAD=0) before moving its medium out (default false). */
            "eject-before-unload"?: boolean;
            /** @description Fields to reset to their defaults: export-slots, eject-before-unload. */
            delete?: string | string[];
            /** @description Digest of the entry as read; the update is refused (409) when the entry changed since. */
            digest?: string;
        };
        /** @description An LTO tape drive. */
        DriveConfig: {
            /** @description Drive name. */
            name: string;
            /** @description Device path on the host of its device agent (`/dev/tape/by-id/…` or `/dev/sgN`). */
            path: string;
            /** @description Changer holding this drive. */
            changer?: string;
            /** @description Index of this drive among the changer's drives (default 0). */
            "changer-drivenum"?: number;
        };
        /** @description An LTO tape drive. */
        DriveCreate: {
            /** @description Drive name. */
            name: string;
            /** @description Device path on the host of its device agent (`/dev/tape/by-id/…` or `/dev/sgN`). */
            path: string;
            /** @description Changer holding this drive. */
            changer?: string;
            /** @description Index of this drive among the changer's drives (default 0). */
            "changer-drivenum"?: number;
        };
        /** @description Changes to a drive: fields to set, `delete` lists fields to reset. */
        DriveUpdate: {
            /** @description Device path on the host of its device agent (`/dev/tape/by-id/…` or `/dev/sgN`). */
            path?: string;
            /** @description Changer holding this drive. */
            changer?: string;
            /** @description Index of this drive among the changer's drives (default 0). */
            "changer-drivenum"?: number;
            /** @description Fields to reset to their defaults: changer, changer-drivenum. */
            delete?: string | string[];
            /** @description Digest of the entry as read; the update is refused (409) when the entry changed since. */
            digest?: string;
        };
        /** @description A media pool. */
        MediaPoolConfig: {
            /** @description Media pool name. */
            name: string;
            /** @description Drive that writes this pool's media (must exist). */
            drive?: string;
            /** @description When to start a new media set: 'continue' (default), 'always' or a calendar event. */
            allocation?: string;
            /** @description How long media stay protected: 'keep' (default), 'overwrite' or a time span ('7days'). */
            retention?: string;
            /** @description Media set name template (strftime specifiers; '%id%' is the set UUID). */
            template?: string;
            /** @description Encryption key fingerprint (32 hex bytes joined by ':'). */
            encrypt?: unknown;
            /** @description Comment (single line). */
            comment?: string;
        };
        /** @description A media pool. */
        MediaPoolCreate: {
            /** @description Media pool name. */
            name: string;
            /** @description Drive that writes this pool's media (must exist). */
            drive?: string;
            /** @description When to start a new media set: 'continue' (default), 'always' or a calendar event. */
            allocation?: string;
            /** @description How long media stay protected: 'keep' (default), 'overwrite' or a time span ('7days'). */
            retention?: string;
            /** @description Media set name template (strftime specifiers; '%id%' is the set UUID). */
            template?: string;
            /** @description Encryption key fingerprint (32 hex bytes joined by ':'). */
            encrypt?: string;
            /** @description Comment (single line). */
            comment?: string;
        };
        /** @description Changes to a media pool: fields to set, `delete` lists fields to reset. */
        MediaPoolUpdate: {
            /** @description Drive that writes this pool's media (must exist). */
            drive?: string;
            /** @description When to start a new media set: 'continue' (default), 'always' or a calendar event. */
            allocation?: string;
            /** @description How long media stay protected: 'keep' (default), 'overwrite' or a time span ('7days'). */
            retention?: string;
            /** @description Media set name template (strftime specifiers; '%id%' is the set UUID). */
            template?: string;
            /** @description Encryption key fingerprint (32 hex bytes joined by ':'). */
            encrypt?: string;
            /** @description Comment (single line). */
            comment?: string;
            /** @description Fields to reset to their defaults: drive, allocation, retention, template, encrypt, comment. */
            delete?: string | string[];
            /** @description Digest of the entry as read; the update is refused (409) when the entry changed since. */
            digest?: string;
        };
        /** @description A tape backup job. */
        TapeBackupJobConfig: {
            /** @description Job id. */
            id: string;
            /** @description Datastore to back up. */
            store: string;
            /** @description Media pool to write to (must exist). */
            pool: string;
            /** @description Drive to write with (must exist). */
            drive: string;
            /** @description When the job runs (calendar event); without it the job runs only on demand. */
            schedule?: string;
            /** @description Back up only the newest finished snapshot of each group (default false). */
            "latest-only"?: boolean;
            /** @description User to notify ('name@realm'). */
            "notify-user"?: string;
            /** @description Eject the medium when the job ends (default false). */
            "eject-media"?: boolean;
            /** @description Export the media set when the job ends (default false). */
            "export-media-set"?: boolean;
            /** @description Datastore namespace ('a/b/c'; '' is the root). */
            ns?: string;
            /** @description How many namespace levels below `ns` to include (default: all). */
            "max-depth"?: number;
            /** @description Backup group filters (any matches includes; 'exclude:' filters remove). */
            "group-filter"?: string[];
            /** @description Comment (single line). */
            comment?: string;
        };
        /** @description A tape backup job. */
        TapeBackupJobCreate: {
            /** @description Job id. */
            id: string;
            /** @description Datastore to back up. */
            store: string;
            /** @description Media pool to write to (must exist). */
            pool: string;
            /** @description Drive to write with (must exist). */
            drive: string;
            /** @description When the job runs (calendar event); without it the job runs only on demand. */
            schedule?: string;
            /** @description Back up only the newest finished snapshot of each group (default false). */
            "latest-only"?: boolean;
            /** @description User to notify ('name@realm'). */
            "notify-user"?: string;
            /** @description Eject the medium when the job ends (default false). */
            "eject-media"?: boolean;
            /** @description Export the media set when the job ends (default false). */
            "export-media-set"?: boolean;
            /** @description Datastore namespace ('a/b/c'; '' is the root). */
            ns?: string;
            /** @description How many namespace levels below `ns` to include (default: all). */
            "max-depth"?: number;
            /** @description Backup group filters (any matches includes; 'exclude:' filters remove). */
            "group-filter"?: string[];
            /** @description Comment (single line). */
            comment?: string;
        };
        /** @description Changes to a tape backup job: fields to set, `delete` lists fields to reset. */
        TapeBackupJobUpdate: {
            /** @description Datastore to back up. */
            store?: string;
            /** @description Media pool to write to (must exist). */
            pool?: string;
            /** @description Drive to write with (must exist). */
            drive?: string;
            /** @description When the job runs (calendar event); without it the job runs only on demand. */
            schedule?: string;
            /** @description Back up only the newest finished snapshot of each group (default false). */
            "latest-only"?: boolean;
            /** @description User to notify ('name@realm'). */
            "notify-user"?: string;
            /** @description Eject the medium when the job ends (default false). */
            "eject-media"?: boolean;
            /** @description Export the media set when the job ends (default false). */
            "export-media-set"?: boolean;
            /** @description Datastore namespace ('a/b/c'; '' is the root). */
            ns?: string;
            /** @description How many namespace levels below `ns` to include (default: all). */
            "max-depth"?: number;
            /** @description Backup group filters (any matches includes; 'exclude:' filters remove). */
            "group-filter"?: string[];
            /** @description Comment (single line). */
            comment?: string;
            /** @description Fields to reset to their defaults: schedule, latest-only, notify-user, eject-media, export-media-set, ns, max-depth, group-filter, comment. */
            delete?: string | string[];
            /** @description Digest of the entry as read; the update is refused (409) when the entry changed since. */
            digest?: string;
        };
        /** @description A new API token. */
        CreateTokenRequest: {
            /**
             * @description admin (read and modify) or audit (read only).
             * @enum {string}
             */
            role: "admin" | "audit";
            /** @description Comment (single line). */
            comment?: string;
        };
        /** @description An API token (without its secret). */
        TokenInfo: {
            /** @description Token id (the part before ':' in the secret). */
            id: string;
            /** @enum {string} */
            role: "admin" | "audit";
            comment?: string;
            /**
             * Format: date-time
             * @description Creation time (RFC 3339).
             */
            created: string;
        };
        /** @description A new API token with its secret (shown only once). */
        CreatedToken: {
            /** @description Token id (the part before ':' in the secret). */
            id: string;
            /** @enum {string} */
            role: "admin" | "audit";
            comment?: string;
            /**
             * Format: date-time
             * @description Creation time (RFC 3339).
             */
            created: string;
            /** @description The secret token `<id>:<secret>`; shown only once. */
            token: string;
        };
        /** @description An error: stable code, message, and one message per bad field. */
        ErrorResponse: {
            /** @description Message per bad field. */
            errors: {
                [key: string]: string;
            };
            message: string;
            /** @enum {string} */
            code: "VALIDATION" | "NOT_FOUND" | "CONFLICT" | "UNAUTHORIZED" | "FORBIDDEN" | "UNAVAILABLE" | "TIMEOUT" | "CONFIG" | "INTERNAL";
            requestId?: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listChanger: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every changer, sorted by name. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ChangerConfig"][];
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createChanger: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangerCreate"];
            };
        };
        responses: {
            /** @description The new changer. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ChangerConfig"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getChanger: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The changer's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The changer and its digest (send it back with an update to detect concurrent changes). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ChangerConfig"];
                        digest: string;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateChanger: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The changer's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangerUpdate"];
            };
        };
        responses: {
            /** @description The changer as updated. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ChangerConfig"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    removeChanger: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The changer's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: null;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listDrive: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every drive, sorted by name. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["DriveConfig"][];
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createDrive: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DriveCreate"];
            };
        };
        responses: {
            /** @description The new drive. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["DriveConfig"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getDrive: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The drive's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The drive and its digest (send it back with an update to detect concurrent changes). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["DriveConfig"];
                        digest: string;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateDrive: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The drive's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DriveUpdate"];
            };
        };
        responses: {
            /** @description The drive as updated. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["DriveConfig"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    removeDrive: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The drive's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: null;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listMediaPool: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every media pool, sorted by name. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["MediaPoolConfig"][];
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createMediaPool: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MediaPoolCreate"];
            };
        };
        responses: {
            /** @description The new media pool. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["MediaPoolConfig"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getMediaPool: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The media pool's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The media pool and its digest (send it back with an update to detect concurrent changes). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["MediaPoolConfig"];
                        digest: string;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateMediaPool: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The media pool's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MediaPoolUpdate"];
            };
        };
        responses: {
            /** @description The media pool as updated. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["MediaPoolConfig"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    removeMediaPool: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The media pool's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: null;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listTapeBackupJob: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every tape backup job, sorted by id. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["TapeBackupJobConfig"][];
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createTapeBackupJob: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TapeBackupJobCreate"];
            };
        };
        responses: {
            /** @description The new tape backup job. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["TapeBackupJobConfig"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getTapeBackupJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The tape backup job's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tape backup job and its digest (send it back with an update to detect concurrent changes). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["TapeBackupJobConfig"];
                        digest: string;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateTapeBackupJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The tape backup job's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TapeBackupJobUpdate"];
            };
        };
        responses: {
            /** @description The tape backup job as updated. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["TapeBackupJobConfig"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    removeTapeBackupJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The tape backup job's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: null;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The inventory service is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listTokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every token (without secrets). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["TokenInfo"][];
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTokenRequest"];
            };
        };
        responses: {
            /** @description The new token; its secret is shown only here. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["CreatedToken"];
                    };
                };
            };
            /** @description Invalid input: `errors` names each bad field. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    removeToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Token id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: null;
                    };
                };
            };
            /** @description No or invalid API token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The token's role may not do this (audit tokens are read-only). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such entry. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
}
