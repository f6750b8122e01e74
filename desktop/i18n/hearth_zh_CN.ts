<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ChatView</name>
    <message>
        <location filename="../chat_view.py" line="232"/>
        <source>Type a message below to start. Replies are written on this computer; nothing you type leaves it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../composer.py" line="102"/>
        <source>Message — Enter to send, Shift+Enter for a new line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../composer.py" line="103"/>
        <source>Send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../composer.py" line="104"/>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../composer.py" line="105"/>
        <source>Stop writing (Esc); what was written is kept</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ContextMeter</name>
    <message>
        <location filename="../context_meter.py" line="119"/>
        <source>System prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="120"/>
        <source>Earlier messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="121"/>
        <source>Attachments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="122"/>
        <source>Knowledge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="123"/>
        <source>Your message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="124"/>
        <source>Kept for the reply</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="125"/>
        <source>Free</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="127"/>
        <source>Context usage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="195"/>
        <source>No model loaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="196"/>
        <source>Load a model to see how much of its context this conversation uses.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="198"/>
        <source>{used} / {total} tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../context_meter.py" line="200"/>
        <source>%n older message(s) will be left out</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="202"/>
        <source>Too long for the context — shorten the message or raise the context size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="204"/>
        <source>{name}: {tokens} tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../context_meter.py" line="206"/>
        <source>Context window: {total} tokens</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <location filename="../conversation_list.py" line="109"/>
        <location filename="../conversation_list.py" line="123"/>
        <location filename="../conversation_list.py" line="174"/>
        <location filename="../conversation_list.py" line="194"/>
        <source>New chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../conversation_list.py" line="129"/>
        <source>%n message(s) match</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../conversation_list.py" line="130"/>
        <source>Nothing matches “%1”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../conversation_list.py" line="174"/>
        <source>Deleted “%1”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../conversation_list.py" line="193"/>
        <source>Search all chats (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../conversation_list.py" line="195"/>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../conversation_list.py" line="196"/>
        <source>Rename</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../conversation_list.py" line="197"/>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../conversation_list.py" line="198"/>
        <source>Undo</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ErrorDialog</name>
    <message>
        <location filename="../errors_ui.py" line="23"/>
        <source>The model stopped unexpectedly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="25"/>
        <source>The model file could not be found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="27"/>
        <source>This file is not a usable model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="29"/>
        <source>The model could not be loaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="31"/>
        <source>No model is chosen for this conversation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="33"/>
        <source>The model&apos;s chat template could not be used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="35"/>
        <source>The message does not fit in the model&apos;s context.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="37"/>
        <source>The conversation could not be found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="39"/>
        <source>Something went wrong.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="41"/>
        <source>A file could not be read or written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="42"/>
        <source>Something unexpected went wrong. Your conversations are saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="51"/>
        <source>Check that the disk is not full and the folder is writable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="62"/>
        <source>Hearth</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="211"/>
        <source>Add a model file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="212"/>
        <source>GGUF models (*.gguf)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="339"/>
        <source>Stop the reply before deleting this conversation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="400"/>
        <source>New chats will start with these settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="417"/>
        <source>Export conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="418"/>
        <source>Markdown (*.md)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="422"/>
        <source>Saved %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="460"/>
        <source>Stopping…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="470"/>
        <source>Add a model first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="472"/>
        <source>A reply is being written in another conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../main_window.py" line="499"/>
        <source>%n older message(s) left out to fit the context</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main_window.py" line="568"/>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="569"/>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="570"/>
        <source>Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="571"/>
        <source>New chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="572"/>
        <source>Add a model file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="573"/>
        <source>Open the models folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="574"/>
        <source>Export chat as Markdown…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="575"/>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="576"/>
        <source>Model and settings panel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="577"/>
        <source>Use this chat&apos;s settings for new chats</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="578"/>
        <source>Follow the system</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <location filename="../message_widget.py" line="349"/>
        <source>Thinking…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="349"/>
        <source>Reasoning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="398"/>
        <source>You</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="401"/>
        <source>Assistant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="402"/>
        <source>Stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="402"/>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="403"/>
        <source>Writing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="405"/>
        <source>Interrupted</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../message_widget.py" line="412"/>
        <source>and %n more</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../message_widget.py" line="414"/>
        <source>To fit the context, %n earlier message(s) were left out of this reply&apos;s prompt: </source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="422"/>
        <source>Reload model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="423"/>
        <source>Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="424"/>
        <source>Copy this message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="425"/>
        <source>Regenerate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="426"/>
        <source>Write another reply; this one is kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="427"/>
        <source>Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="428"/>
        <source>Edit and resend; the original is kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="429"/>
        <source>Previous version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="430"/>
        <source>Next version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="431"/>
        <source>Send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="432"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="435"/>
        <source>%1 s to first token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../message_widget.py" line="437"/>
        <source>%1 tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsPanel</name>
    <message>
        <location filename="../settings_panel.py" line="237"/>
        <source>Conversation settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="237"/>
        <location filename="../settings_panel.py" line="268"/>
        <source>System prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="238"/>
        <source>Replies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="239"/>
        <source>Advanced sampling</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="242"/>
        <source>&amp;Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="243"/>
        <source>The model that writes the replies in this conversation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="244"/>
        <source>&amp;Context</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="245"/>
        <source>How much of the conversation the model can see at once, in tokens. More context remembers more but takes more memory.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="247"/>
        <source>&amp;Temperature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="248"/>
        <source>How adventurous the model is when it picks each next word.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="249"/>
        <source>Reply &amp;length</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="250"/>
        <source>A reply stops after this many tokens (a token is about ¾ of a word).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="251"/>
        <source>Top-&amp;p</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="252"/>
        <source>Consider only the most likely words that together make up this share of the probability. 1.00 turns it off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="254"/>
        <source>Top-&amp;k</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="255"/>
        <source>Consider only this many of the most likely next words. 0 turns it off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="256"/>
        <source>M&amp;in-p</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="257"/>
        <source>Skip words less likely than this fraction of the most likely word. 0.00 turns it off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="258"/>
        <source>Repeat &amp;penalty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="259"/>
        <source>Makes recently used words less likely, against loops. 1.00 turns it off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="260"/>
        <source>&amp;Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="261"/>
        <source>A fixed seed gives the same reply again for the same conversation and settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="267"/>
        <source>Choose a model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="270"/>
        <source>Instructions the model follows for the whole conversation, e.g. “Answer briefly, in plain English.”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="271"/>
        <source>Temperature value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="272"/>
        <source>Context size and memory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="273"/>
        <source> tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="274"/>
        <source>Off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="275"/>
        <source>Random</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="276"/>
        <source>Random seed for every reply</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="277"/>
        <source>A new random seed for every reply.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="278"/>
        <source>Reset to defaults</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="279"/>
        <source>Reset sampling to defaults</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="281"/>
        <source>Put the temperature, reply length and sampling back to Hearth&apos;s defaults.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="305"/>
        <source>{name} (not installed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="359"/>
        <source>{tokens} tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="361"/>
        <source>{tokens} tokens · {memory} for the context</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="398"/>
        <source>Always the most likely word: the same reply every time.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="399"/>
        <source>Focused and predictable: good for facts, code and summaries.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="400"/>
        <source>Balanced: natural wording with some variety.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="401"/>
        <source>Varied and creative: good for ideas and stories.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_panel.py" line="402"/>
        <source>Very random: replies may wander off or stop making sense.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <location filename="../status_bar.py" line="46"/>
        <source>Loading %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="48"/>
        <source>The model stopped — reload it to continue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="50"/>
        <source>No model loaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="53"/>
        <source>context %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../status_bar.py" line="58"/>
        <source>CPU · %n thread(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="60"/>
        <source>%1 · %2/%3 layers on the GPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="69"/>
        <source>first token %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="71"/>
        <source>%1 tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <location filename="../welcome.py" line="60"/>
        <source>Welcome to Hearth</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../welcome.py" line="62"/>
        <source>&lt;p&gt;Hearth runs language models on this computer. Your chats and documents never leave it.&lt;/p&gt;&lt;p&gt;&lt;b&gt;To begin, add a model.&lt;/b&gt; Models are &lt;i&gt;.gguf&lt;/i&gt; files. Add one you already have with &lt;b&gt;Add a model file…&lt;/b&gt;, or copy it into the models folder:&lt;/p&gt;&lt;p&gt;&lt;tt&gt;%1&lt;/tt&gt;&lt;/p&gt;&lt;p&gt;A small model (about 1–4 GB, such as a 1B–3B “Instruct” model in Q4_K_M) runs well on most computers; larger ones need more memory and are slower without a graphics card.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../welcome.py" line="68"/>
        <source>Add a model file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../welcome.py" line="69"/>
        <source>Open the models folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../welcome.py" line="70"/>
        <source>Look again</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
