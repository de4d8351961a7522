/**
 * Board posts for the demo (written for Moim, no outside source): the campus community's
 * `general` board and a university's board, with comments, replies and likes by demo users.
 */
export interface DemoPost {
  key: string;
  board: string;
  authorKey: string;
  title: string;
  body: string;
  comments: Array<{ authorKey: string; body: string; replies?: Array<{ authorKey: string; body: string }> }>;
  likedBy: string[];
}

export function demoPosts(reviewerKeys: string[]): DemoPost[] {
  const [a = 'demo', b = 'demo', c = 'demo'] = reviewerKeys;
  return [
    {
      key: 'post-welcome',
      board: 'general',
      authorKey: 'demo',
      title: '처음 왔어요 / New here',
      body: '이번 학기에 교환학생으로 왔습니다. 학교 근처 맛집 추천 부탁드려요!\nJust arrived for an exchange semester. Any food tips near campus?',
      comments: [
        {
          authorKey: a,
          body: '환영해요! 리뷰 탭에서 별점 높은 곳부터 보세요.',
          replies: [{ authorKey: 'demo', body: '감사합니다, 오늘 가볼게요!' }],
        },
        { authorKey: b, body: 'Welcome! The noodle place on Green Street is great.' },
      ],
      likedBy: [a, b, c],
    },
    {
      key: 'post-sublet',
      board: 'general',
      authorKey: a,
      title: '여름 서브렛 구해요',
      body: '6월부터 8월까지 캠퍼스 근처 원룸 서브렛 찾습니다. 쪽지 주세요.',
      comments: [{ authorKey: c, body: '저도 찾는 중이에요. 같이 알아봐요.' }],
      likedBy: ['demo'],
    },
    {
      key: 'post-study',
      board: 'uiuc',
      authorKey: b,
      title: 'CS 225 study group',
      body: 'Looking for two more people to review data structures before the midterm. Library, Thursdays 7pm.',
      comments: [
        {
          authorKey: 'demo',
          body: 'Count me in!',
          replies: [{ authorKey: b, body: 'Great, see you Thursday.' }],
        },
      ],
      likedBy: ['demo', a],
    },
    {
      key: 'post-bus',
      board: 'uiuc',
      authorKey: c,
      title: '버스 앱 추천',
      body: '캠퍼스 버스 도착 시간 보는 앱 뭐 쓰세요?',
      comments: [],
      likedBy: [],
    },
  ];
}
