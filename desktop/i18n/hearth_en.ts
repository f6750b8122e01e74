<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>AttachmentChip</name>
    <message numerus="yes">
        <location filename="../main/attachment_view.py" line="173"/>
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n page</numerusform>
            <numerusform>%n pages</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>BackendDialog</name>
    <message numerus="yes">
        <location filename="../models/backend_dialog.py" line="214"/>
        <source>%n model(s) on the server.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ContextMeter</name>
    <message numerus="yes">
        <location filename="../main/context_meter.py" line="226"/>
        <source>%n older message(s) will be left out</source>
        <translation>
            <numerusform>%n older message will be left out</numerusform>
            <numerusform>%n older messages will be left out</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message numerus="yes">
        <location filename="../main/conversation_list.py" line="148"/>
        <source>%n message(s) match</source>
        <translation>
            <numerusform>%n message matches</numerusform>
            <numerusform>%n messages match</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EmbedderChoice</name>
    <message numerus="yes">
        <location filename="../knowledge/embedder_choice.py" line="220"/>
        <source>Embed “%1” with %2? Its %n passages will be embedded again, which takes a while; keyword search keeps working meanwhile.</source>
        <translation>
            <numerusform>Embed “%1” with %2? Its passage will be embedded again, which takes a while; keyword search keeps working meanwhile.</numerusform>
            <numerusform>Embed “%1” with %2? Its %n passages will be embedded again, which takes a while; keyword search keeps working meanwhile.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message numerus="yes">
        <location filename="../main/message_widget.py" line="309"/>
        <source>and %n more</source>
        <translation>
            <numerusform>and %n more</numerusform>
            <numerusform>and %n more</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../main/message_widget.py" line="311"/>
        <source>To fit the context, %n earlier message(s) were left out of this reply&apos;s prompt: </source>
        <translation>
            <numerusform>To fit the context, %n earlier message was left out of this reply&apos;s prompt: </numerusform>
            <numerusform>To fit the context, %n earlier messages were left out of this reply&apos;s prompt: </numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ModelManager</name>
    <message numerus="yes">
        <location filename="../models/manager.py" line="306"/>
        <source>%n repositories</source>
        <translation>
            <numerusform>%n repository</numerusform>
            <numerusform>%n repositories</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PromptDialog</name>
    <message numerus="yes">
        <location filename="../main/prompt_dialog.py" line="91"/>
        <source>%n earlier message(s) were left out to fit the context.</source>
        <translation>
            <numerusform>%n earlier message was left out to fit the context.</numerusform>
            <numerusform>%n earlier messages were left out to fit the context.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RetrievalTest</name>
    <message numerus="yes">
        <location filename="../knowledge/retrieval_test.py" line="249"/>
        <source>%n passages, best first. Double-click one to open its file.</source>
        <translation>
            <numerusform>%n passage. Double-click it to open its file.</numerusform>
            <numerusform>%n passages, best first. Double-click one to open its file.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SearchLine</name>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="42"/>
        <source>Searched %n passage(s)</source>
        <translation>
            <numerusform>Searched %n passage</numerusform>
            <numerusform>Searched %n passages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="42"/>
        <source>using %n</source>
        <translation>
            <numerusform>using %n</numerusform>
            <numerusform>using %n</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SourcesView</name>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="318"/>
        <source>Summarised from %n section(s) of “%1”; each source is a section and what the model made of it.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="323"/>
        <source>%n passage(s) in %1 matched the question but did not fit in this chat&apos;s context of %2 tokens.</source>
        <translation>
            <numerusform>%n passage in %1 matched the question but did not fit in this chat&apos;s context of %2 tokens.</numerusform>
            <numerusform>%n passages in %1 matched the question but did not fit in this chat&apos;s context of %2 tokens.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="328"/>
        <source>%n more passage(s) matched but did not fit in this chat&apos;s context of %1 tokens.</source>
        <translation>
            <numerusform>%n more passage matched but did not fit in this chat&apos;s context of %1 tokens.</numerusform>
            <numerusform>%n more passages matched but did not fit in this chat&apos;s context of %1 tokens.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message numerus="yes">
        <location filename="../main/status_bar.py" line="69"/>
        <source>%n older message(s) left out to fit the context</source>
        <translation>
            <numerusform>%n older message left out to fit the context</numerusform>
            <numerusform>%n older messages left out to fit the context</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../main/status_bar.py" line="122"/>
        <source>CPU · %n thread(s)</source>
        <translation>
            <numerusform>CPU · %n thread</numerusform>
            <numerusform>CPU · %n threads</numerusform>
        </translation>
    </message>
</context>
</TS>
