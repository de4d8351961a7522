export interface SmsSender {
  send(to: string, text: string): Promise<void>;
}
