/** A university as imports name it; `key` is also its board key for posts. */
export interface UniversityRecord {
  key: string;
  name: string;
  country: string;
  timezone: string;
}

export const UIUC: UniversityRecord = {
  key: 'uiuc',
  name: 'University of Illinois Urbana-Champaign',
  country: 'US',
  timezone: 'America/Chicago',
};

export const PURDUE: UniversityRecord = {
  key: 'purdue',
  name: 'Purdue University',
  country: 'US',
  timezone: 'America/Indiana/Indianapolis',
};

export const HAWAII: UniversityRecord = {
  key: 'hawaii',
  name: 'University of Hawaiʻi',
  country: 'US',
  timezone: 'Pacific/Honolulu',
};
